"""store-platform's CrossGuard policy pack, run by `pulumi preview --policy-pack policy`.

Every check is a stack validation so that provider-level default tags/labels (which the engine
does not copy into each resource's inputs) count, both for the tag rule and for telling prod
resources apart."""

from __future__ import annotations

import validators
from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy


def _stack_check(check):
    def validate(args, report_violation):
        providers = {
            r.urn: validators.provider_default_tags(r.props or {})
            for r in args.resources
            if r.resource_type.startswith("pulumi:providers:")
        }
        for r in args.resources:
            resource = validators.Resource(
                type=r.resource_type,
                inputs=r.props or {},
                protect=bool(r.opts and r.opts.protect),
                provider_default_tags=providers.get(r.provider.urn, {}) if r.provider else {},
            )
            for message in check(resource):
                report_violation(message, r.urn)

    return validate


def _policy(check, level: EnforcementLevel) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=check.__name__.replace("_", "-"),
        description=check.__doc__.splitlines()[0],
        validate=_stack_check(check),
        enforcement_level=level,
    )


PolicyPack(
    name="store-platform",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *(_policy(c, EnforcementLevel.MANDATORY) for c in validators.MANDATORY),
        *(_policy(c, EnforcementLevel.ADVISORY) for c in validators.ADVISORY),
    ],
)
