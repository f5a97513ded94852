// Page set-up that must run before the theme's and the widget manager's scripts.
(function () {
  // 'nest' puts FontAwesome's SVG inside the <i> element instead of replacing it, so widgets that
  // own their icon nodes (the ipywidgets Play button) keep working.
  window.FontAwesomeConfig = Object.assign(window.FontAwesomeConfig || {}, { autoReplaceSvg: "nest" });
  // The self-hosted widget manager (embed-amd.js) finds its icon fonts next to the URL that
  // require.js gives its modules; by default that is a folder beside the page, which does not
  // exist. A global `require` object defined before require.js loads is its configuration: map
  // the widget modules to this folder (_static/).
  var src = document.currentScript && document.currentScript.src;
  if (src && typeof window.require === "undefined") {
    var here = src.slice(0, src.lastIndexOf("/"));
    window.require = {
      paths: { "@jupyter-widgets": here, "@jupyter-widgets/html-manager/dist": here },
    };
  }
})();
