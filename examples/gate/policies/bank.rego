# The bank's own rules, evaluated next to the DORA baseline. Conftest style: `deny` and `warn`
# sets of objects with id, msg, refs (legal references) and fix.
package bank.change

import rego.v1

deny contains v if {
	not regex.match(`^CHG-[0-9]+$`, object.get(input, ["change", "change_id"], ""))
	v := {"id": "BANK-CHG-001", "msg": "every change needs a change ticket id (CHG-nnnn)", "refs": ["DORA Art. 9(4)(e)", "RTS 2024/1774 Art. 17"], "fix": "set change_id in the change metadata"}
}

warn contains v if {
	some p in input.codeowners.unowned_paths
	v := {"id": "BANK-OWN-001", "msg": sprintf("%s has no code owner", [p]), "refs": ["RTS 2024/1774 Art. 21"], "fix": "add it to CODEOWNERS"}
}
