import {EventEmitter} from 'node:events';
import type React from 'react';
import {useEffect, useLayoutEffect, useReducer, useRef, useState} from 'react';
import {Box, useStdin, type Key} from 'ink';
import TextInput from 'ink-text-input';
// Ink exports no path to its stdin context, which is where ink-text-input's useInput listens; this file is the one
// Ink's own hooks import (the same module, so the same context).
import StdinContext from '../../../node_modules/ink/build/components/StdinContext.js';
import {useKeyDispatcher} from '../hooks/use-key-input.ts';

// Pasted text can carry newlines or escape sequences; a one-line field keeps printable characters only.
// eslint-disable-next-line no-control-regex
const nonPrintable = /[\u0000-\u001F\u007F-\u009F]/g;

// What ink-text-input is sent for the keys it edits with, as a terminal sends them.
const leftArrow = '\u001B[D';
const rightArrow = '\u001B[C';
const backspace = '\u007F';
const enter = '\r';

/** One key given to ink-text-input, and where it leaves ink-text-input's cursor (in UTF-16 units, as it counts). */
type Step = {sequence: string; cursor: number};

/** What is left of the key being edited: ink-text-input's next step on the value and cursor it has, or none. */
type Work = (value: string, cursor: number) => Step | undefined;

function once(sequence: string, cursorAfter: (cursor: number) => number): Work {
	let sent = false;
	return (_value, cursor) => {
		if (sent) return undefined;
		sent = true;
		return {sequence, cursor: cursorAfter(cursor)};
	};
}

/** One arrow at a time until the cursor is at `target` (ink-text-input has no Home or End, and moves by one unit). */
function moveTo(target: number): Work {
	return (value, cursor) => {
		const goal = Math.min(Math.max(0, target), value.length);
		if (cursor > goal) return {sequence: leftArrow, cursor: cursor - 1};
		if (cursor < goal) return {sequence: rightArrow, cursor: cursor + 1};
		return undefined;
	};
}

function erase(units: number): Work {
	let left = units;
	return (_value, cursor) => {
		if (left === 0 || cursor === 0) return undefined;
		left--;
		return {sequence: backspace, cursor: cursor - 1};
	};
}

/** UTF-16 units of the character before / after `cursor`: an emoji is two, and must not be split by the cursor. */
function widthBefore(value: string, cursor: number): number {
	return cursor >= 2 && /[\uDC00-\uDFFF]/.test(value[cursor - 1]!) && /[\uD800-\uDBFF]/.test(value[cursor - 2]!) ? 2 : 1;
}

function widthAfter(value: string, cursor: number): number {
	return /[\uD800-\uDBFF]/.test(value[cursor] ?? '') && /[\uDC00-\uDFFF]/.test(value[cursor + 1] ?? '') ? 2 : 1;
}

/**
 * What a key does in the field, as steps for ink-text-input; undefined for a key that is not text entry (Esc, Ctrl
 * and Alt combinations are never typed as text) or that changes nothing.
 */
function workFor(input: string, key: Key, value: string, cursor: number): Work | undefined {
	if (key.return || input === '\n' || input === '\r\n') return once(enter, at => at);
	if (key.leftArrow) return cursor > 0 ? moveTo(cursor - widthBefore(value, cursor)) : undefined;
	if (key.rightArrow) return cursor < value.length ? moveTo(cursor + widthAfter(value, cursor)) : undefined;
	if (key.home) return cursor > 0 ? moveTo(0) : undefined;
	if (key.end) return cursor < value.length ? moveTo(value.length) : undefined;
	// Ink reports the usual Backspace byte (DEL, 0x7f) as `delete`; both erase before the cursor.
	if (key.backspace || key.delete) return cursor > 0 ? erase(widthBefore(value, cursor)) : undefined;
	if (key.ctrl || key.meta || key.escape) return undefined;
	const typed = input.replace(nonPrintable, '');
	return typed === '' ? undefined : once(typed, at => at + typed.length);
}

type Feed = {
	/** Keys given to the field and not yet taken (one, as the dispatcher is held while a key is being taken). */
	keys: Array<[string, Key]>;
	/** What is left of the key being taken. */
	work: Work | undefined;
	/** Release the dispatcher's holds: the keys are taken, and ink-text-input listens with the state they left. */
	releases: Array<() => void>;
	/** Steps given to ink-text-input (and restarts of it), counted. */
	sent: number;
	/** `sent` as the last render seen by ink-text-input's subscription had it: equal when it is up to date. */
	listening: number;
	/** Where ink-text-input's cursor is: it keeps its own to itself, and the field draws a window that follows it. */
	cursor: number;
	/**
	 * Where the cursor stays after the form set the value itself: ink-text-input starts afresh at the end, and is
	 * moved here when the next key comes (not before: a settings page loading its fields costs no keys' work).
	 */
	wanted: number | undefined;
	/** Value and cursor before the last step: where the field goes back to if the form refuses that step's change. */
	before: {value: string; cursor: number};
	/** The value ink-text-input proposed through onChange with the last step, until that step's commit. */
	proposed: string | undefined;
	/** The value ink-text-input was last rendered with. */
	known: string;
	/** The key of the ink-text-input element: a new one starts afresh, its cursor at the end of the value. */
	generation: number;
	pumping: boolean;
};

export type InkTextEntry = {
	/** Where the cursor is, in UTF-16 units of the value. */
	cursor: number;
	/** Gives the field's keys, from rscm's key dispatcher, to ink-text-input. */
	handleKey: (input: string, key: Key) => void;
	/**
	 * ink-text-input itself, rendered in a box of display none (the field draws its own window) so that it edits;
	 * not aria-hidden, which in screen-reader mode would not render it at all. Masked, it holds `*` only.
	 */
	engine: React.ReactNode;
};

/**
 * Text entry by ink-text-input, fed by rscm's key dispatcher rather than stdin. ink-text-input's input handler is an
 * Ink useInput whose handler closes over the value and cursor of its last render, and which subscribes in a passive
 * effect: a key handed to it before it has subscribed with the render of the key before is edited on stale state
 * (typed over a loaded machine, keys came out of order). So it listens to a private stdin context whose event emitter
 * carries only the keys this field gives it, one step at a time, and the next step, or the next key anywhere in the
 * app (the dispatcher is held meanwhile), waits until a render that came after the step has been committed with
 * ink-text-input subscribed: this hook's passive effect runs after ink-text-input's own in the same commit, since
 * ink-text-input is rendered below it. ink-text-input's onChange is the only writer of the value.
 *
 * Between them, this keeps what ink-text-input does not: Esc, Ctrl and Alt combinations are never typed as text,
 * control characters in a paste are dropped, Home and End work, the cursor never leaves the value (ink-text-input 6
 * lets Left at the start take it to -1, and the next character then replaces the last one) nor splits an emoji, and
 * a change the form refuses (a field guarded while its dialog works) leaves value and cursor in step. A value the form
 * sets itself starts ink-text-input afresh on it, the cursor kept where it was (as far as the new value reaches).
 */
export function useInkTextEntry({
	value,
	onChange,
	onSubmit,
	mask,
}: {
	value: string;
	onChange: (value: string) => void;
	onSubmit?: (value: string) => void;
	mask: boolean;
}): InkTextEntry {
	const dispatcher = useKeyDispatcher();
	const {stdin} = useStdin();
	const [emitter] = useState(() => new EventEmitter());
	const [context] = useState(() => ({
		stdin,
		setRawMode() {},
		isRawModeSupported: true,
		internal_exitOnCtrlC: false,
		internal_eventEmitter: emitter,
	}));
	const [, rerender] = useReducer((count: number) => count + 1, 0);
	const latest = useRef({value, onChange, onSubmit});
	latest.current = {value, onChange, onSubmit};
	const feed = useRef<Feed>({
		keys: [],
		work: undefined,
		releases: [],
		sent: 0,
		listening: 0,
		cursor: value.length,
		wanted: undefined,
		before: {value, cursor: value.length},
		proposed: undefined,
		known: value,
		generation: 0,
		pumping: false,
	});
	const m = feed.current;
	if (value !== m.known && value !== m.proposed) {
		// The form set the value (a page loading its settings): the cursor stays where it was, as far as the value
		// reaches, so a field filled after it was drawn shows its value from the start.
		m.wanted = Math.min(m.wanted ?? m.cursor, value.length);
		m.generation++;
		m.cursor = value.length;
		if (m.wanted === m.cursor) m.wanted = undefined;
	}

	m.known = value;
	const sentWhenRendered = m.sent;

	const release = () => {
		for (const done of m.releases.splice(0)) done();
	};

	// Gives ink-text-input the next step while it listens with its latest render; the effect below calls it again.
	const pump = () => {
		if (m.pumping) return;
		m.pumping = true;
		try {
			while (m.listening === m.sent) {
				const {value: current} = latest.current;
				if (m.work === undefined) {
					const next = m.keys.shift();
					if (next === undefined) {
						release();
						return;
					}

					if (m.wanted !== undefined) {
						// First ink-text-input's cursor to where the field shows it, then the key.
						m.keys.unshift(next);
						m.work = moveTo(m.wanted);
						m.wanted = undefined;
						continue;
					}

					m.work = workFor(next[0], next[1], current, m.cursor);
					continue;
				}

				const step = m.work(current, m.cursor);
				if (step === undefined) {
					m.work = undefined;
					continue;
				}

				m.before = {value: current, cursor: m.cursor};
				m.cursor = step.cursor;
				m.sent++;
				emitter.emit('input', step.sequence);
				// A render after the step, whose commit is the one the next step waits for, even if the step changed
				// nothing React sees here (an arrow moves ink-text-input's own state only).
				rerender();
			}
		} finally {
			m.pumping = false;
		}
	};

	// After every commit of the field; ink-text-input's effects of the same commit (its subscription) ran before.
	useEffect(() => {
		m.listening = sentWhenRendered;
		if (sentWhenRendered !== m.sent) return;
		if (m.proposed !== undefined && m.proposed !== value && value === m.before.value) {
			// Refused: ink-text-input moved its cursor all the same. Start it afresh and put the cursor back; the rest
			// of the key (the second half of an emoji's Backspace) goes with the change.
			m.work = moveTo(m.before.cursor);
			m.generation++;
			m.cursor = value.length;
			m.sent++;
			rerender();
		}

		m.proposed = undefined;
		pump();
	});
	// React runs a render's passive effects before it starts the next update, but may leave them until its scheduler
	// gets a turn (late on a loaded machine). An update from outside the commit, right after it, brings them forward:
	// the next step waits for ink-text-input's subscription, not for the scheduler.
	useLayoutEffect(() => {
		if (sentWhenRendered === m.sent && m.listening !== m.sent) queueMicrotask(rerender);
	});
	// A field that goes away with a key half taken must not keep the keyboard waiting.
	useEffect(() => release, [m]);

	const handleKey = (input: string, key: Key) => {
		m.keys.push([input, key]);
		dispatcher.hold(
			new Promise<void>(resolve => {
				m.releases.push(resolve);
			}),
		);
		pump();
	};

	const engine = (
		<Box display="none">
			<StdinContext.Provider value={context}>
				<TextInput
					key={m.generation}
					focus
					showCursor
					value={value}
					mask={mask ? '*' : undefined}
					onChange={next => {
						m.proposed = next;
						latest.current.onChange(next);
					}}
					onSubmit={submitted => latest.current.onSubmit?.(submitted)}
				/>
			</StdinContext.Provider>
		</Box>
	);
	return {cursor: Math.min(m.wanted ?? m.cursor, value.length), handleKey, engine};
}
