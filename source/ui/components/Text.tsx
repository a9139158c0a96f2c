import React, {type ReactNode} from 'react';
import {Text as InkText, type TextProps} from 'ink';
import {displayText} from '../../core/terminal-text.ts';
import {toAscii, type Charset} from '../charset.ts';
import {useCharset} from '../contexts/charset-context.ts';

// Every string the UI draws passes through this one component, so text from the catalog, a file or the user never
// reaches the terminal with its control characters (an ESC sequence can set the clipboard, conceal or overwrite what
// the admin compares). Line breaks and tabs stay: messages are composed over several lines on purpose; the rows that
// must stay one line (names, fingerprints) are made one line where they are built. The lint forbids Ink's own Text
// everywhere else. On a terminal without UTF-8 (charset.ts) the text is made ASCII here too, before Ink measures it,
// so a name with a wide or combined character still lays out exactly.

function sanitize(children: ReactNode, charset: Charset): ReactNode {
	if (typeof children === 'string') {
		const safe = displayText(children, {keepLineBreaks: true});
		return charset === 'ascii' ? toAscii(safe) : safe;
	}

	if (Array.isArray(children)) return React.Children.map(children, child => sanitize(child, charset));
	return children;
}

export function Text({children, 'aria-label': label, ...props}: TextProps): React.JSX.Element {
	const charset = useCharset();
	// What a screen reader hears instead of the children is text on the terminal as well.
	const safeLabel = label === undefined ? undefined : (sanitize(label, charset) as string);
	return (
		<InkText {...props} aria-label={safeLabel}>
			{sanitize(children, charset)}
		</InkText>
	);
}
