// "Use my location": fills the latitude and longitude fields from the browser's geolocation,
// only when the resident presses the button and allows it. No map, nothing leaves the page
// until the form is submitted. Without geolocation support the button stays hidden.
(function () {
  "use strict";
  var button = document.getElementById("geo-button");
  var status = document.getElementById("geo-status");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("long");
  if (!button || !lat || !lon || !("geolocation" in navigator)) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "正在获取位置……";
    navigator.geolocation.getCurrentPosition(function (position) {
      lat.value = position.coords.latitude.toFixed(6);
      lon.value = position.coords.longitude.toFixed(6);
      status.textContent = "已填入当前位置（精度约 " + Math.round(position.coords.accuracy) + " 米）。";
      button.disabled = false;
    }, function () {
      status.textContent = "未能获取位置，可手动填写地点。";
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
