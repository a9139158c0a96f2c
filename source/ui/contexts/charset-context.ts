import {createContext, useContext} from 'react';
import type {Charset} from '../charset.ts';

// Apart from charset.ts, which start.tsx imports before React has loaded (the detection must not wait for it).

/** The charset of the running UI; Unicode unless run-ui.tsx provides another. */
export const CharsetContext = createContext<Charset>('unicode');

export function useCharset(): Charset {
	return useContext(CharsetContext);
}
