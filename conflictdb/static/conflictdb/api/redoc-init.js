// Starts Redoc on /api/redoc/ (templates/api/redoc.html; why each step: conflictdb/api/docs.py).
(function () {
  "use strict";
  // Redoc's sidebar shows its maker's logo from another site. The docs are served offline and the
  // page's policy allows no image from elsewhere: any image from another origin gets an empty
  // image, which Redoc then hides. React sets it as an attribute, then as a property: both are watched.
  var EMPTY_IMAGE = "data:,";
  function offline(value) {
    var url;
    try { url = new URL(String(value), document.baseURI); } catch (error) { return value; }
    return /^https?:$/.test(url.protocol) && url.origin !== window.location.origin ? EMPTY_IMAGE : value;
  }
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (name === "src" && this instanceof HTMLImageElement) { value = offline(value); }
    return setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true, enumerable: src.enumerable, get: src.get,
    set: function (value) { src.set.call(this, offline(value)); }
  });

  var container = document.getElementById("redoc-container");
  var settings = JSON.parse(document.getElementById("redoc-settings").textContent);
  if (typeof settings === "string") { settings = JSON.parse(settings); }
  // The nonce on this script's own element is the one the policy allows for styles: Redoc's
  // styled-components put it on the <style> elements they insert.
  settings.nonce = document.currentScript.nonce;
  Redoc.init(container.dataset.schemaUrl, settings, container);
})();
