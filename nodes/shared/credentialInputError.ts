/** A credential field is missing or malformed; `field` is its label in the credential dialog. */
export class CredentialInputError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'CredentialInputError';
	}
}
