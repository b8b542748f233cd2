// Runs an npm package's CommonJS dist file in the browser, no bundler: the
// file and every file it requires are fetched first (as npm installed them,
// served by the test from the signaling server's own origin), then each is
// run once with its own module, exports and require.
//   await loadCommonJs(url, {"bare-name": url, "unused-name": null (an empty module)})
export async function loadCommonJs(entry, packages) {
  const absolute = (url) => (url === null ? null : new URL(url, location.href).href);
  const named = Object.fromEntries(Object.entries(packages).map(([name, url]) => [name, absolute(url)]));
  const sources = new Map();
  const modules = new Map();

  function resolve(id, from) {
    if (id in named) return named[id];
    if (id.startsWith(".")) return new URL(id.endsWith(".js") ? id : `${id}.js`, from).href;
    throw new Error(`${from} requires "${id}", which this page does not serve`);
  }

  async function fetchWithRequires(url) {
    if (url === null || sources.has(url)) return;
    sources.set(url, null);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const text = await response.text();
    sources.set(url, text);
    for (const [, , id] of text.matchAll(/\brequire\((["'])([^"']+)\1\)/g)) await fetchWithRequires(resolve(id, url));
  }

  function run(url) {
    if (url === null) return {};
    if (modules.has(url)) return modules.get(url).exports;
    const module = { exports: {} };
    modules.set(url, module);
    const body = new Function("module", "exports", "require", `${sources.get(url)}\n//# sourceURL=${url}`);
    body(module, module.exports, (id) => run(resolve(id, url)));
    return module.exports;
  }

  const url = absolute(entry);
  await fetchWithRequires(url);
  return run(url);
}
