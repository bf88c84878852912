// Draws the GeoJSON embedded in the page (#map-data) on every .conflictdb-map element.
// Tiles come from settings.MAP_TILE_URL when set; without them the points still show.
(function () {
  "use strict";
  document.querySelectorAll(".conflictdb-map").forEach(function (element) {
    var data = JSON.parse(document.getElementById(element.dataset.source).textContent);
    var map = L.map(element, { attributionControl: true });
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.tilesAttribution || "" }).addTo(map);
    }
    var layer = L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 6, weight: 1, fillOpacity: 0.8 });
      },
      onEachFeature: function (feature, marker) {
        var p = feature.properties || {};
        var label = document.createElement("span");
        if (p.url) {
          var link = document.createElement("a");
          link.href = p.url;
          link.textContent = p.label || "";
          label.appendChild(link);
        } else {
          label.textContent = p.label || "";
        }
        marker.bindPopup(label);
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.3), { maxZoom: 11 }); } else { map.setView([35.0, 38.5], 6); }
  });
})();
