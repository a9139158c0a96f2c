import {useContext, useEffect, useRef, useSyncExternalStore} from 'react';
import {ExitContext} from '../contexts/exit-context.ts';
import type {ExitCleanup} from '../page-types.ts';
import type {LifecycleState, UiLifecycle} from '../lifecycle.ts';

export function useLifecycle(): UiLifecycle {
	return useContext(ExitContext);
}

/** 'stopping' once the user has asked to quit and the clean-ups run. */
export function useLifecycleState(): LifecycleState {
	const lifecycle = useContext(ExitContext);
	return useSyncExternalStore(lifecycle.subscribe, lifecycle.getState, lifecycle.getState);
}

/**
 * Runs `cleanup` before the UI exits, for as long as the component is mounted and `active` is true. The latest
 * `cleanup` is used, so it may close over state without re-registering.
 */
export function useOnExitRequest(cleanup: ExitCleanup, active = true): void {
	const lifecycle = useContext(ExitContext);
	const latest = useRef(cleanup);
	latest.current = cleanup;
	useEffect(() => {
		if (!active) return;
		return lifecycle.onExitRequest(async () => latest.current());
	}, [lifecycle, active]);
}
