/**
 * Word-wraps text into at most `maxLines` lines of `width` columns, greedily as Ink wraps, and ends the last line
 * with an ellipsis when the text did not fit: for boxes that must not grow past their room (the Results pane, an
 * error under a field) and must not cut text silently either. Counts one column per character, which holds for the
 * text rscm draws (see text-width.ts); a wider character is still cut by the line's own truncation.
 */
export function wrapLines(text: string, width: number, maxLines = Number.POSITIVE_INFINITY): string[] {
	const room = Math.max(1, width);
	const lines: string[] = [];
	let current: string[] = [];
	for (const word of text.split(' ')) {
		let chars = [...word];
		if (current.length > 0 && current.length + 1 + chars.length <= room) {
			current.push(' ', ...chars);
			continue;
		}

		if (current.length > 0) lines.push(current.join(''));
		while (chars.length > room) {
			lines.push(chars.slice(0, room).join(''));
			chars = chars.slice(room);
		}

		current = chars;
	}

	lines.push(current.join(''));
	if (lines.length <= maxLines) return lines;
	const kept = lines.slice(0, Math.max(1, maxLines));
	const last = [...kept.at(-1)!].slice(0, room - 1).join('').trimEnd();
	kept[kept.length - 1] = `${last}…`;
	return kept;
}
