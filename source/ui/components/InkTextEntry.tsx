import {EventEmitter} from 'node:events';
import type React from 'react';
import {useRef, useState} from 'react';
import {Box, useStdin, type Key} from 'ink';
import TextInput from 'ink-text-input';
// Ink exports no path to its stdin context, which is where ink-text-input's useInput listens; this file is the one
// Ink's own hooks import (the same module, so the same context).
import StdinContext from '../../../node_modules/ink/build/components/StdinContext.js';

// Pasted text can carry newlines or escape sequences; a one-line field keeps printable characters only.
// eslint-disable-next-line no-control-regex
const nonPrintable = /[\u0000-\u001F\u007F-\u009F]/g;

// What ink-text-input is sent for the keys it edits with, as a terminal sends them.
const leftArrow = '\u001B[D';
const rightArrow = '\u001B[C';
const backspace = '\u007F';

export type InkTextEntry = {
	/** Where ink-text-input's cursor is, in UTF-16 units of the value (as it counts). */
	cursor: number;
	/** Gives the field's keys, from rscm's dispatcher (or the field's own useKeyInput), to ink-text-input. */
	handleKey: (input: string, key: Key) => void;
	/** ink-text-input itself, rendered in a box of display none (the field draws its own window) so that it edits; not aria-hidden, which in screen-reader mode would not render it at all. */
	engine: React.ReactNode;
};

type Machine = {
	queue: Array<[string, Key]>;
	// Whether ink-text-input has subscribed with the handler of its latest render: only then does a key see the
	// value and cursor that the key before it left.
	listening: boolean;
	cursor: number;
	// The value ink-text-input last proposed through onChange; the form may refuse it (a guarded field while busy).
	proposed: string | undefined;
	seenValue: string;
	remounting: boolean;
};

/**
 * Text entry by ink-text-input, fed through rscm's key dispatcher rather than stdin. ink-text-input's input handler
 * is an Ink useInput: here it listens to a private stdin context whose event emitter carries only the keys this field
 * was given, one at a time, each once ink-text-input has re-rendered with the previous key's result (its handler reads
 * value and cursor from its render, so two keys given to one render would lose the first). Between them, this keeps
 * what ink-text-input does not: Esc, Ctrl and Alt combinations are never typed as text, control characters in a paste
 * are dropped, Home and End work, and the cursor never leaves the value (ink-text-input 6 lets Left at the start take
 * it to -1, and the next character then replaces the last one). It mirrors the cursor, since ink-text-input keeps it
 * to itself and the field draws a window that follows it.
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
	const {stdin} = useStdin();
	const [emitter] = useState(() => new EventEmitter());
	const [context] = useState(() => ({
		stdin,
		setRawMode() {},
		isRawModeSupported: true,
		internal_exitOnCtrlC: false,
		internal_eventEmitter: emitter,
	}));
	const [cursor, setCursor] = useState(value.length);
	const [generation, setGeneration] = useState(0);
	const latest = useRef({value, onChange, onSubmit});
	latest.current = {value, onChange, onSubmit};
	const machine = useRef<Machine>({queue: [], listening: false, cursor: value.length, proposed: undefined, seenValue: value, remounting: false});

	const moveCursor = (next: number) => {
		machine.current.cursor = next;
		setCursor(next);
	};

	// The next key's sequence for ink-text-input and where it leaves the cursor, or undefined when the key is not
	// ink-text-input's to see (handled here, or not text at all).
	const translate = (input: string, key: Key): [string, number] | undefined => {
		const m = machine.current;
		const current = latest.current.value;
		const at = m.cursor;
		if (key.return || input === '\n' || input === '\r\n') {
			latest.current.onSubmit?.(current);
			return undefined;
		}

		if (key.leftArrow) return at > 0 ? [leftArrow, at - 1] : undefined;
		if (key.rightArrow) return at < current.length ? [rightArrow, at + 1] : undefined;
		// ink-text-input has no Home and End: one arrow at a time, the key coming up again until the cursor is there.
		if (key.home || key.end) {
			const step = key.home ? translate('', {...key, home: false, end: false, leftArrow: true}) : translate('', {...key, home: false, end: false, rightArrow: true});
			if (step !== undefined) m.queue.unshift([input, key]);
			return step;
		}

		// Ink reports the usual Backspace byte (DEL, 0x7f) as `delete`; both erase before the cursor.
		if (key.backspace || key.delete) return at > 0 ? [backspace, at - 1] : undefined;
		if (key.ctrl || key.meta || key.escape) return undefined;
		const typed = input.replace(nonPrintable, '');
		return typed === '' ? undefined : [typed, at + typed.length];
	};

	const pump = () => {
		const m = machine.current;
		while (m.listening && m.queue.length > 0) {
			const [input, key] = m.queue.shift()!;
			const step = translate(input, key);
			if (step === undefined) continue;
			const [sequence, nextCursor] = step;
			m.listening = false;
			moveCursor(nextCursor);
			emitter.emit('input', sequence);
		}
	};

	// ink-text-input subscribes anew after every render of it (its handler is a new function each time): the moment
	// to give it the next key. 'newListener' comes before the listener is added, hence the microtask. Made once: it
	// reaches this render's functions, which read nothing but refs, the emitter and state setters.
	const [subscribed] = useState(() => () => {
		queueMicrotask(() => {
			const m = machine.current;
			const current = latest.current.value;
			if (m.remounting) {
				// A new ink-text-input starts with its cursor at the end.
				m.remounting = false;
				moveCursor(current.length);
			} else if (m.proposed !== undefined && m.proposed !== current) {
				// The form refused the change, but ink-text-input moved its cursor anyway: start it afresh.
				m.remounting = true;
				m.proposed = undefined;
				m.seenValue = current;
				setGeneration(count => count + 1);
				return;
			} else if (current !== m.seenValue && m.cursor > current.length - 1) {
				// As ink-text-input does when the value changes (typed, or set by the form).
				moveCursor(current.length);
			}

			m.proposed = undefined;
			m.seenValue = current;
			m.listening = true;
			pump();
		});
	});
	if (emitter.listenerCount('newListener') === 0) emitter.on('newListener', subscribed);

	const handleKey = (input: string, key: Key) => {
		machine.current.queue.push([input, key]);
		pump();
	};

	const engine = (
		<Box display="none">
			<StdinContext.Provider value={context}>
				<TextInput
					key={generation}
					focus
					showCursor
					value={value}
					mask={mask ? '*' : undefined}
					onChange={next => {
						machine.current.proposed = next;
						latest.current.onChange(next);
					}}
				/>
			</StdinContext.Provider>
		</Box>
	);
	return {cursor: Math.min(cursor, value.length), handleKey, engine};
}
