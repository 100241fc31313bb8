"""The lead's stages and the only moves between them.

``lead → appraised → offered → accepted|declined|expired → purchased → reconditioned →
sold``, plus ``lost`` (with a reason) from any open stage. A declined or expired offer
may be followed by a new appraisal or a new offer. Anything else is a 409 that lists the
moves the lead's stage allows, so a client can show the right buttons.
"""

from __future__ import annotations

from pitstop.sdk import Conflict

STAGES = (
    "lead",
    "appraised",
    "offered",
    "accepted",
    "declined",
    "expired",
    "purchased",
    "reconditioned",
    "sold",
    "lost",
)
MOVES: dict[str, frozenset[str]] = {
    "lead": frozenset({"appraised", "lost"}),
    "appraised": frozenset({"appraised", "offered", "lost"}),
    "offered": frozenset({"accepted", "declined", "expired", "lost"}),
    "accepted": frozenset({"purchased", "lost"}),
    "declined": frozenset({"appraised", "offered", "lost"}),
    "expired": frozenset({"appraised", "offered", "lost"}),
    "purchased": frozenset({"reconditioned", "sold"}),
    "reconditioned": frozenset({"sold"}),
    "sold": frozenset(),
    "lost": frozenset(),
}
OPEN = frozenset(s for s, moves in MOVES.items() if "lost" in moves)


def allowed(stage: str) -> list[str]:
    return sorted(MOVES[stage])


def check_move(stage: str, to: str) -> None:
    """Refuse an illegal move with a 409 naming the stage and what it allows."""
    if to not in MOVES[stage]:
        raise Conflict(
            f"a lead at stage {stage} cannot move to {to};"
            f" allowed: {', '.join(allowed(stage)) or 'none'}",
            code="illegal_stage_move",
            stage=stage,
            to=to,
            allowed=allowed(stage),
        )
