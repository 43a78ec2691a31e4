// Starts the app without an inline script, so the page works under a Content-Security-Policy
// of `script-src 'self' 'wasm-unsafe-eval'`. Trunk writes the hashed file names into the data
// attributes of the <script> tag that loads this file (see `pattern_script` in Trunk.toml).
const tag = document.querySelector("script[data-app-js][data-app-wasm]");
try {
  const { default: init } = await import(tag.dataset.appJs);
  await init({ module_or_path: tag.dataset.appWasm });
} catch (error) {
  // Replace index.html's static "Loading…" with something a user can act on.
  const text = document.querySelector("#app .loading-text");
  if (text) {
    text.textContent = "The app could not start. Please reload the page.";
  }
  throw error;
}
