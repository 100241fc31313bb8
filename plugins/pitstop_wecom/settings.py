"""The tenant's WeCom settings: the group robot for staff notices, and the corporate app
for customer messages (客户联系). Both secrets are write-only and sealed at rest."""

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
    corp_id: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    """The enterprise's 企业ID (``ww...``): with ``contact_secret``, switches on customer
    messages to the customers linked to a WeCom external contact."""
    contact_secret: Annotated[str, msgspec.Meta(max_length=128)] = ""
    """The 客户联系 secret (or a self-built app's secret with the customer-contact
    permission): write-only, sealed at rest."""
    sender_userid: Annotated[str, msgspec.Meta(max_length=64)] = ""
    """The staff member (WeCom userid) whose client sends the message; empty: every staff
    member who has the customer as a contact is asked to send it."""
    public_base_url: Annotated[str, msgspec.Meta(max_length=200, pattern=r"^(https?://\S+)?$")] = ""
    """Where customers reach Pitstop (``https://crm.example.cn``): a promotion by WeCom ends
    with its unsubscribe link there, and is not sent without one."""
    callback_token_secret: Annotated[str, msgspec.Meta(max_length=32)] = ""
    """The Token of the customer-contact callback (接收事件服务器): WeCom signs with it."""
    callback_aes_key_secret: Annotated[str, msgspec.Meta(max_length=43)] = ""
    """The callback's EncodingAESKey (43 characters): WeCom encrypts events with it."""
    api_base: Url = "https://qyapi.weixin.qq.com"
    """The WeCom server API (a test points it at a fake server)."""

    @property
    def reaches_customers(self) -> bool:
        return bool(self.corp_id and self.contact_secret)
