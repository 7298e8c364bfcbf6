"""Exercise operations, one topic a module: plan (`planning`), start and finish (`running`), send injects
(`injects`), flag what an exercise found (`findings`). Each is one transaction; the periodic job
`schedule.run_due` starts, feeds and ends exercises on their schedule.

An exercise's injects go out through `alerts.services` like any alert, marked 【訓練/EXERCISE】, and every
relay of them carries the exercise too (`Alert.exercise`). Who they reach is fixed when the exercise
starts (`Participant`): the participants and the organisations relaying to them, no one else.
"""
