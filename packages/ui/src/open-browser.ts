/** Opening the page in the user's browser (`memoflow ui --open`), through the `open` package. */
import open from 'open';

/** Opens `url` in the default browser; resolves once the browser was started, not loaded. */
export async function openInBrowser(url: string): Promise<void> {
  const child = await open(url);
  // The browser outlives this process: nothing here waits for it.
  child.unref();
}
