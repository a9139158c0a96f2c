import {createContext} from 'react';
import {UiLifecycle} from '../lifecycle.ts';

/**
 * The running UI's lifecycle: the abort signal raised when the user quits and the registry of clean-ups the
 * shell waits for. The default (a component rendered alone) never stops anything.
 */
export const ExitContext = createContext<UiLifecycle>(new UiLifecycle({onStop() {}}));
