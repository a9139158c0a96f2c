import {useContext, useId, useLayoutEffect} from 'react';
import {TextEntryContext} from '../contexts/text-entry-context.ts';

/** Marks a text field as taking typed characters while `active`, so the shell leaves those keys alone. */
export function useClaimTextEntry(active: boolean): void {
	const id = useId();
	const registry = useContext(TextEntryContext);
	useLayoutEffect(() => {
		if (!active || registry === undefined) return;
		registry.active.add(id);
		return () => {
			registry.active.delete(id);
		};
	}, [active, registry, id]);
}
