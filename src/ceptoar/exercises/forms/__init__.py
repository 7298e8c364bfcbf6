"""Forms of the organiser's pages, one module per page: the exercise's plan and an inject. They carry what
the person typed; `exercises.services` decides what is valid."""
