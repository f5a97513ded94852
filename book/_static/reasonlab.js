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

// The widget manager typesets widget labels through MathJax 2's `MathJax.Hub.Queue`; the book
// loads MathJax 3, which has no Hub. Without this shim, a page with both maths and HTML widgets
// throws "Cannot read properties of undefined (reading 'Queue')". Route the call to MathJax 3.
(function () {
  function installHub() {
    var mj = window.MathJax;
    // Only once MathJax 3 itself has loaded (before that, window.MathJax is its configuration).
    if (!mj || mj.Hub || typeof mj.typesetPromise !== "function") return;
    mj.Hub = {
      Queue: function (cmd) {
        var el = Array.isArray(cmd) ? cmd[2] : null;
        if (el) {
          mj.typesetPromise([el]).catch(function () {});
        }
      },
    };
  }
  installHub();
  document.addEventListener("DOMContentLoaded", installHub);
  window.addEventListener("load", installHub);
})();
