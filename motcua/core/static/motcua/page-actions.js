// Page behaviour that would otherwise be inline script (the Content-Security-Policy allows
// scripts from this site only):
// - a form marked data-csrf-cookie (the 404 page's language switch, whose markup must not vary
//   with the request) takes its CSRF token from the cookie and is then shown;
// - a button marked data-print prints the page.
(function () {
  "use strict";
  function fillFromCookie(form) {
    var name = form.getAttribute("data-csrf-cookie");
    var found = document.cookie.split("; ").filter(function (c) {
      return c.indexOf(name + "=") === 0;
    });
    if (found.length) {
      form.elements.csrfmiddlewaretoken.value = found[0].slice(name.length + 1);
      form.hidden = false;
    }
  }
  function start() {
    document.querySelectorAll("form[data-csrf-cookie]").forEach(fillFromCookie);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
