// Polls an applying sheet's progress into the page's live region. The "Check progress" button does the
// same without JavaScript.
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) return;
        bar.value = progress.percent;
        bar.textContent = progress.percent + "%";
        text.textContent = progress.text;
        if (progress.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
