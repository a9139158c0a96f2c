import {useEffect, useState} from 'react';
import {useStdout} from 'ink';

export type TerminalSize = {columns: number; rows: number};

// A stream that is not a terminal has no size; assume the classic 80×24 so layout code always gets numbers.
function read(stdout: NodeJS.WriteStream): TerminalSize {
	return {columns: stdout.columns || 80, rows: stdout.rows || 24};
}

/** The terminal size, updated on every 'resize' of Ink's stdout (SIGWINCH). */
export function useTerminalSize(): TerminalSize {
	const {stdout} = useStdout();
	const [size, setSize] = useState(() => read(stdout));
	useEffect(() => {
		const update = () => {
			setSize(previous => {
				const next = read(stdout);
				return next.columns === previous.columns && next.rows === previous.rows ? previous : next;
			});
		};

		update();
		stdout.on('resize', update);
		return () => {
			stdout.off('resize', update);
		};
	}, [stdout]);
	return size;
}
