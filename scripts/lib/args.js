// @ts-check
'use strict';

/**
 * The value of a command-line option, written `--name=value` or `--name value`; undefined when absent.
 *
 * @param {string[]} args  e.g. process.argv.slice(2)
 * @param {string} name    e.g. '--outputFile'
 */
function argValue(args, name) {
	const inline = args.find((a) => a.startsWith(`${name}=`));
	if (inline) return inline.slice(name.length + 1);
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : undefined;
}

module.exports = { argValue };
