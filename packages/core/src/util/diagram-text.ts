/** Text made safe for the diagrams memoflow draws (Mermaid), whether of a pipeline or of a run. */

/**
 * Mermaid label text: entity codes for what would end the quoted label, start an entity, turn on
 * markdown or read as HTML; line breaks as spaces.
 */
export function mermaidText(name: string): string {
  return name.replace(/[#"`<>&]|[\r\n]/g, (char) =>
    char === '\r' || char === '\n' ? ' ' : `#${char.charCodeAt(0)};`,
  );
}
