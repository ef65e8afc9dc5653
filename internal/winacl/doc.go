// Package winacl gives restel's private files and directories their
// Windows form: where Unix has an owner and mode 0700 or 0600, Windows has
// an owner SID and a DACL. A private object is owned by the current user
// and its DACL is protected (it inherits nothing from its parent) and
// grants access to the user alone. An existing directory counts as
// private when the user owns it (or, in an elevated process, the
// Administrators group does) and its DACL lets in no one but the user,
// LocalSystem and the Administrators group, who can take any file on the
// machine anyway: the DACL a user profile gives %LocalAppData%.
//
// Outside Windows every function reports errors.ErrUnsupported.
package winacl
