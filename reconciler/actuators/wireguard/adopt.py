"""``reconciler import wireguard.<net>@<node> IFACE``: take over a running interface (one round
trip, nothing changed on the node).

The interface (made by wg-quick, by hand, or by reconciler before the state was lost) must
exist under the configured name; its config spec is recorded as is, with the facts observe
would record. The next plan then shows no changes when the interface matches the config
(address, listen port, peers and external peers, key file) and the drift reasons otherwise;
``apply`` repairs drift live, never tearing the interface down.
"""

from __future__ import annotations

from reconciler.actuators.base import ActuatorContext, Adopted
from reconciler.actuators.wireguard import drift as drift_rules
from reconciler.actuators.wireguard.keys import key_files
from reconciler.actuators.wireguard.rounds import report_of
from reconciler.actuators.wireguard.spec import spec_of
from reconciler.errors import ObjectGone, UserError
from reconciler.model.types import Resource


def adopted(resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
    """What to record for the running interface ``ident``: the kind's AdoptHook."""
    spec = spec_of(resource.spec)
    if ident != spec["interface"]:
        raise UserError(f"{resource.address} is configured with interface {spec['interface']}, "
                        f"not {ident}", hint="set the network's `interface:` to the running "
                                             "interface's name")
    report = report_of(ctx.transport, [ident], key_files([spec]))
    seen = report.interfaces.get(ident)
    if seen is None or not seen.exists:
        raise ObjectGone(f"interface {ident} is not running on {resource.address.host}",
                        hint="start it (wg-quick up) or let `apply` create it")
    return Adopted(dict(resource.spec), drift_rules.facts(spec, seen, report.now),
                   f"interface {ident}")
