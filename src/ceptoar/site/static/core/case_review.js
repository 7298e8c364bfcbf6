// The failure-case review page: selecting a phrase in the original copies it into "Replace every
// occurrence of". A file of its own, not an inline script: the Content-Security-Policy allows only these.
document.addEventListener("mouseup", function () {
  var original = document.getElementById("original-text");
  var phrase = document.getElementById("id_phrase");
  var selection = window.getSelection();
  if (!original || !phrase || !selection || selection.isCollapsed) return;
  if (!original.contains(selection.anchorNode) || !original.contains(selection.focusNode)) return;
  var text = selection.toString();
  if (text.trim()) { phrase.value = text; }
});
