/* Citizen portal: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Suggestions while typing in a service-center search box. The form still submits to the
  // server (GET) when the user presses the button or Enter.
  function enhanceCenterSearch(form) {
    var input = form.querySelector("input[name=q]");
    var target = document.querySelector(form.getAttribute("data-results"));
    var link = form.getAttribute("data-link");
    var action = form.getAttribute("data-action-label");
    var empty = form.getAttribute("data-empty-label");
    var endpoint = form.getAttribute("data-endpoint");
    if (!input || !target || !link || !endpoint) { return; }
    var timer = null;
    var latest = 0;

    function render(results) {
      var list = document.createElement("ul");
      list.className = "center-list";
      results.forEach(function (center) {
        var item = document.createElement("li");
        var text = document.createElement("div");
        var name = document.createElement("div");
        name.className = "name";
        name.textContent = center.name;
        text.appendChild(name);
        if (center.former_province) {
          var hint = document.createElement("div");
          hint.className = "hint";
          hint.textContent = center.former_province;
          text.appendChild(hint);
        }
        var button = document.createElement("a");
        button.className = "btn secondary";
        button.href = link.replace("{slug}", encodeURIComponent(center.slug));
        button.textContent = action;
        item.appendChild(text);
        item.appendChild(button);
        list.appendChild(item);
      });
      target.textContent = "";
      if (results.length) {
        target.appendChild(list);
      } else {
        var none = document.createElement("p");
        none.className = "empty";
        none.textContent = empty;
        target.appendChild(none);
      }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim();
      if (query.length < 2) { return; }
      timer = setTimeout(function () {
        var ticket = ++latest;
        fetch(endpoint + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (body) { if (body && ticket === latest) { render(body.results); } })
          .catch(function () { /* the server-side search still works */ });
      }, 200);
    });
  }

  // A live estimate of the fee from the quantities typed in; the server computes the invoice.
  function enhanceFeeEstimate(box) {
    var output = box.querySelector("[data-fee-output]");
    var items = Array.prototype.slice.call(box.querySelectorAll("[data-fee-item]"));
    var locale = document.documentElement.lang === "en" ? "en-US" : "vi-VN";
    var suffix = document.documentElement.lang === "en" ? " VND" : " đ";
    function update() {
      var total = 0;
      var known = true;
      items.forEach(function (item) {
        var amount = parseInt(item.getAttribute("data-amount"), 10);
        var field = item.getAttribute("data-quantity-field");
        var quantity = 1;
        if (field) {
          var input = document.getElementById("id_" + field);
          quantity = input ? parseInt(input.value, 10) : NaN;
          if (!(quantity > 0)) { known = false; }
        }
        total += amount * quantity;
      });
      output.textContent = known ? total.toLocaleString(locale) + suffix : "—";
    }
    items.forEach(function (item) {
      var field = item.getAttribute("data-quantity-field");
      var input = field && document.getElementById("id_" + field);
      if (input) { input.addEventListener("input", update); }
    });
    update();
  }

  // One click on "Nộp hồ sơ" is enough; the server also recognises a repeated submission.
  function guardDoubleSubmit(form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  }

  document.querySelectorAll("form[data-center-search]").forEach(enhanceCenterSearch);
  document.querySelectorAll("[data-fee-estimate]").forEach(enhanceFeeEstimate);
  document.querySelectorAll("form[data-once]").forEach(guardDoubleSubmit);
})();
