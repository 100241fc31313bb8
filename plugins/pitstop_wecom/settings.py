"""The tenant's group robot; its key is write-only and sealed at rest."""

from __future__ import annotations

from typing import Annotated

import msgspec

Url = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://\S+$")]


class WecomSettings(msgspec.Struct, forbid_unknown_fields=True):
    robot_key_secret: Annotated[str, msgspec.Meta(max_length=100)] = ""
    """The ``key=`` of the robot's webhook URL: whoever has it can post to the group, so
    the API never returns it and the database holds it sealed."""
    endpoint: Url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=30)] = 10.0
