/**
 * Which digit jumps to which page of the navigation list: the digit keys in the order of the keyboard's row, so 1-9
 * reach pages 1-9 and 0 the tenth. A page after the tenth has no digit left; ↑/↓ reach it. Everything that shows or
 * reads a page's digit (the list, its key binding, the help and hint lines) derives it from here and the registry.
 */
const digitRow = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'] as const;

/** The digit that jumps to page `number` (1-based, its place in the list), or undefined past the tenth. */
export function digitForPage(number: number): string | undefined {
	return Number.isInteger(number) && number >= 1 ? digitRow[number - 1] : undefined;
}

/** The page number a digit key jumps to: 1-9 as typed, 0 for the tenth page. */
export function pageNumberForDigit(digit: string): number | undefined {
	const index = digitRow.indexOf(digit as (typeof digitRow)[number]);
	return index === -1 ? undefined : index + 1;
}

export type PageJump = {
	/** The digits that jump to a page of `pages`, in the list's order. */
	readonly digits: readonly string[];
	/** For the help overlay: "1-9, 0" with ten pages, "1-4" with four. */
	readonly label: string;
	/** For the hint line: "1-0" with ten pages, "1-4" with four. */
	readonly hint: string;
	readonly description: string;
};

/** The jump keys of a registry: one digit for each of its first ten pages. */
export function pageJump(pages: ReadonlyArray<{number: number}>): PageJump {
	const digits = pages.map(page => digitForPage(page.number)).filter(digit => digit !== undefined);
	const last = digits.length;
	if (last === 0) return {digits, label: '', hint: '', description: 'No page has a digit'};
	if (last === 1) return {digits, label: '1', hint: '1', description: 'Jump to page 1'};
	if (last < 10) return {digits, label: `1-${last}`, hint: `1-${last}`, description: `Jump to page 1-${last}`};
	return {digits, label: '1-9, 0', hint: '1-0', description: 'Jump to page 1-9; 0 is page 10'};
}
