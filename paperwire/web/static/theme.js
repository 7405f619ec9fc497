// Loaded in <head>, before the page paints, so a chosen theme never flashes the other one first.
(function () { var t = localStorage.getItem("pw-theme"); if (t) document.documentElement.dataset.theme = t; })();
