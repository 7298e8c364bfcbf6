// Live parts of pages (the tracking page, the exercise scoreboard) poll the server with htmx. They ask
// only while the page is in view: an element marked data-poll-while-visible skips its request while the
// tab is hidden. This used to be an hx-trigger filter ([document.visibilityState === 'visible']), which
// htmx evaluates as code; the Content-Security-Policy forbids eval, so htmx runs with allowEval off and
// the filter lives here instead.
document.addEventListener("htmx:beforeRequest", function (event) {
  var element = event.detail && event.detail.elt;
  if (element && element.hasAttribute("data-poll-while-visible") && document.visibilityState !== "visible") {
    event.preventDefault();
  }
});
