// The live parts of pages (the tracking page, the exercise scoreboard: elements marked data-live) poll
// the server with htmx. Two rules for them, kept here rather than in the pages' attributes: the
// Content-Security-Policy forbids evaluating code, so htmx runs with allowEval off and honours neither
// hx-on:… handlers nor hx-trigger filters ([…]).
//  - They ask only while the page is in view: a request is skipped while the tab is hidden.
//  - An answer from another address (the log-in page, once the session has expired) is not pasted into
//    the page: the whole page reloads and goes wherever the site sends it.
document.addEventListener("htmx:beforeRequest", function (event) {
  var element = event.target;
  if (element.hasAttribute && element.hasAttribute("data-live") && document.visibilityState !== "visible") {
    event.preventDefault();
  }
});

document.addEventListener("htmx:beforeSwap", function (event) {
  var element = event.target;
  if (!element.hasAttribute || !element.hasAttribute("data-live")) return;
  var asked = element.getAttribute("hx-get");
  var answered = event.detail.xhr && event.detail.xhr.responseURL;
  if (asked && answered && answered.indexOf(asked) === -1) {
    event.detail.shouldSwap = false;
    window.location.reload();
  }
});
