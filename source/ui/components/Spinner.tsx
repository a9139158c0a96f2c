import {useEffect, useState} from 'react';
import {Text} from './Text.tsx';
import {useCharset} from '../contexts/charset-context.ts';
import {theme} from '../theme.ts';

export type SpinnerProps = {
	label: string;
	/** Spin until this settles, then render nothing. Without it the spinner runs while mounted. */
	promise?: PromiseLike<unknown>;
	intervalMs?: number;
};

export const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** The classic turning bar, for a terminal without UTF-8. */
export const asciiSpinnerFrames = ['-', '\\', '|', '/'];

/**
 * An animated spinner. It is driven by a timer on the event loop, so a spinner that keeps turning while a KDF or a
 * database call runs is the visible proof that the work happens off the main thread (libuv's pool, the driver).
 */
export default function Spinner({label, promise, intervalMs = 80}: SpinnerProps) {
	const frames = useCharset() === 'ascii' ? asciiSpinnerFrames : spinnerFrames;
	const [frame, setFrame] = useState(0);
	const [settled, setSettled] = useState(false);

	useEffect(() => {
		if (promise === undefined) return;
		let current = true;
		setSettled(false);
		const done = () => {
			if (current) setSettled(true);
		};

		promise.then(done, done);
		return () => {
			current = false;
		};
	}, [promise]);

	const running = !settled;
	useEffect(() => {
		if (!running) return;
		const timer = setInterval(() => {
			setFrame(previous => (previous + 1) % frames.length);
		}, intervalMs);
		return () => {
			clearInterval(timer);
		};
	}, [running, intervalMs, frames.length]);

	if (!running) return null;
	return (
		// A screen reader hears the label once, not a new frame ten times a second.
		<Text aria-label={`Busy: ${label}`}>
			<Text {...theme.text('accent')}>{frames[frame % frames.length]}</Text> {label}
		</Text>
	);
}
