import process from 'node:process';

/**
 * Semantic colours, and the one place that honours NO_COLOR (https://no-color.org: any non-empty value).
 *
 * Why not set chalk's level to 0: Ink styles bold and inverse through the same chalk instance, so level 0 would
 * also remove the selection highlight and the focus cues that NO_COLOR users still need. Instead, under NO_COLOR
 * every colour role resolves to `undefined`, Ink receives no `color`/`backgroundColor`/`borderColor` prop at all,
 * and only attribute codes (bold, inverse) reach the terminal. Components must take colours from here, never
 * from literal colour names, or that guarantee breaks.
 */

export type ColorRole =
	| 'accent'
	| 'muted'
	| 'success'
	| 'error'
	| 'warning'
	| 'focus'
	| 'selection'
	| 'border'
	| 'title';

/** Props that can be spread onto Ink's `<Text>`. */
export type TextStyle = {
	color?: string;
	bold?: boolean;
	inverse?: boolean;
	dimColor?: boolean;
};

export type Theme = {
	readonly noColor: boolean;
	/** A colour for Ink's `color`/`borderColor` props; always undefined under NO_COLOR. */
	color(role: ColorRole): string | undefined;
	/** Text style for a role: colour when allowed, otherwise a plain, bold or inverse equivalent. */
	text(role: ColorRole): TextStyle;
};

const palette: Record<ColorRole, string> = {
	accent: 'cyan',
	muted: 'gray',
	success: 'green',
	error: 'red',
	warning: 'yellow',
	focus: 'cyan',
	selection: 'cyan',
	border: 'gray',
	title: 'cyan',
};

// What each role becomes without colour. Muted stays plain: the dim attribute is unreadable on some terminals
// and NO_COLOR users asked for plain text. Roles that carry meaning keep a symbol in the components (✔/✖).
const monochrome: Record<ColorRole, TextStyle> = {
	accent: {bold: true},
	muted: {},
	success: {},
	error: {bold: true},
	warning: {bold: true},
	focus: {bold: true},
	selection: {inverse: true},
	border: {},
	title: {bold: true},
};

const coloured: Record<ColorRole, TextStyle> = {
	accent: {color: palette.accent},
	muted: {color: palette.muted},
	success: {color: palette.success},
	error: {color: palette.error},
	warning: {color: palette.warning},
	focus: {color: palette.focus, bold: true},
	// Inverse turns the colour into the background: a coloured bar that reads as "selected".
	selection: {color: palette.selection, inverse: true},
	border: {color: palette.border},
	title: {color: palette.title, bold: true},
};

export function isNoColor(env: NodeJS.ProcessEnv): boolean {
	const value = env['NO_COLOR'];
	return value !== undefined && value !== '';
}

export function createTheme(env: NodeJS.ProcessEnv): Theme {
	const noColor = isNoColor(env);
	return {
		noColor,
		color: role => (noColor ? undefined : palette[role]),
		text: role => ({...(noColor ? monochrome[role] : coloured[role])}),
	};
}

export const theme: Theme = createTheme(process.env);
