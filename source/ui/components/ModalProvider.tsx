import type React from 'react';
import {useCallback, useMemo, useState} from 'react';
import {ModalContext, type ModalStack} from '../contexts/modal-context.ts';

/** Holds the stack of open modal layers for everything below it. */
export default function ModalProvider({children}: {children?: React.ReactNode}) {
	const [layers, setLayers] = useState<readonly string[]>([]);
	const open = useCallback((id: string) => {
		setLayers(previous => (previous.includes(id) ? previous : [...previous, id]));
	}, []);
	const close = useCallback((id: string) => {
		setLayers(previous => previous.filter(layer => layer !== id));
	}, []);
	const value = useMemo<ModalStack>(() => ({layers, open, close}), [layers, open, close]);
	return <ModalContext.Provider value={value}>{children}</ModalContext.Provider>;
}
