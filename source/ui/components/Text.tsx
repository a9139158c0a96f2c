import React, {type ReactNode} from 'react';
import {Text as InkText, type TextProps} from 'ink';
import {displayText} from '../../core/terminal-text.ts';

// Every string the UI draws passes through this one component, so text from the catalog, a file or the user never
// reaches the terminal with its control characters (an ESC sequence can set the clipboard, conceal or overwrite what
// the admin compares). Line breaks and tabs stay: messages are composed over several lines on purpose; the rows that
// must stay one line (names, fingerprints) are made one line where they are built. The lint forbids Ink's own Text
// everywhere else.

function sanitize(children: ReactNode): ReactNode {
	if (typeof children === 'string') return displayText(children, {keepLineBreaks: true});
	if (Array.isArray(children)) return React.Children.map(children, child => sanitize(child));
	return children;
}

export function Text({children, ...props}: TextProps): React.JSX.Element {
	return <InkText {...props}>{sanitize(children)}</InkText>;
}
