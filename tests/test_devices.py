"""A name on another device: a one-use code (or its QR link) and a recovery code give the same
participant to another device with a token of its own; signing out forgets one device only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wall import services
from wall.errors import WallError
from wall.models import DeviceCode, Participant

pytestmark = pytest.mark.django_db(transaction=True)


async def new_code(async_client, token: str, path: str = "/api/devices/code") -> dict:
    response = await async_client.post(path, headers={"X-Wall-Token": token})
    assert response.status_code == 201, response.content
    return response.json()


async def test_a_code_gives_the_name_to_another_device_with_its_own_token(sockets, async_client):
    laptop, phone, watcher = await sockets(), await sockets(), await sockets()
    hana = await laptop.join(username="Hana")
    grant = await new_code(async_client, hana["token"])
    assert grant["url"].endswith("/?code=" + grant["code"].replace("-", ""))
    assert grant["qr"].startswith("data:image/svg+xml")
    welcome = await phone.join(code=grant["code"])
    assert (welcome["id"], welcome["username"]) == (hana["id"], "Hana")
    assert welcome["token"] != hana["token"]
    post = await phone.post("from the phone")
    assert post["author"] == "Hana"
    assert (await laptop.receive_next("message"))["message"]["id"] == post["id"]
    assert await Participant.objects.acount() == 1
    # One user, whichever device: a newcomer sees Hana once.
    assert [user["username"] for user in (await sockets()).users] == ["Hana"]
    assert (await watcher.receive(timeout=3))["type"] == "user_joined"
    assert (await watcher.receive(timeout=3))["type"] == "message"  # no second user_joined
    assert await watcher.nothing_more()


async def test_a_code_works_once(sockets, async_client):
    hana = await (await sockets()).join(username="Hana")
    grant = await new_code(async_client, hana["token"])
    await (await sockets()).join(code=grant["code"])
    again = await sockets()
    await again.send("join", {"code": grant["code"]})
    assert (await again.receive_type("error"))["code"] == "invalid_code"


async def test_a_code_is_typed_loosely_in_case_spaces_and_look_alikes(sockets, async_client):
    hana = await (await sockets()).join(username="Hana")
    grant = await new_code(async_client, hana["token"])
    typed = " ".join(grant["code"].lower().replace("-", "").replace("0", "o").replace("1", "l"))
    assert (await (await sockets()).join(code=typed))["id"] == hana["id"]


async def test_a_code_expires_after_ten_minutes(sockets, async_client):
    hana = await (await sockets()).join(username="Hana")
    grant = await new_code(async_client, hana["token"])
    code = await DeviceCode.objects.aget()
    assert timedelta(minutes=9) < code.expires_at - timezone.now() <= timedelta(minutes=10)
    await DeviceCode.objects.aupdate(expires_at=timezone.now())
    phone = await sockets()
    await phone.send("join", {"code": grant["code"]})
    assert (await phone.receive_type("error"))["code"] == "invalid_code"


async def test_a_new_code_ends_the_one_before(sockets, async_client):
    hana = await (await sockets()).join(username="Hana")
    first = await new_code(async_client, hana["token"])
    await new_code(async_client, hana["token"])
    phone = await sockets()
    await phone.send("join", {"code": first["code"]})
    assert (await phone.receive_type("error"))["code"] == "invalid_code"


BAD_CODES = [
    "K7QF",
    "K7QF-3M9X",
    "K7QF-3M9X-K7QF-3M9X",
    "!!!!!!!!",
    "K7QF 3M9X 1",
    "\uff2b\uff17\uff31\uff26\uff13\uff2d\uff19\uff38",  # full-width
    "K7QF\u200b3M9X",
]


@pytest.mark.parametrize("code", ["", *BAD_CODES])
async def test_an_unknown_or_malformed_code_is_refused_and_the_socket_stays_usable(sockets, code):
    sock = await sockets()
    await sock.send("join", {"code": code} if code else {"code": code, "username": "Hana"})
    if code:
        assert (await sock.receive_type("error"))["code"] == "invalid_code"
        assert await Participant.objects.acount() == 0
        assert (await sock.join(username="Hana"))["username"] == "Hana"
    else:  # an empty code is no code: the name is claimed
        assert (await sock.receive_type("welcome"))["username"] == "Hana"


async def test_trying_codes_is_rate_limited_per_address_across_sockets(sockets, settings):
    settings.WALL_CODE_TRY_RATE = "2/10m"
    for _ in range(2):
        sock = await sockets(client="203.0.113.9")
        await sock.send("join", {"code": "K7QF-3M9X"})
        assert (await sock.receive_type("error"))["code"] == "invalid_code"
    sock = await sockets(client="203.0.113.9")
    await sock.send("join", {"code": "K7QF-3M9X"})
    assert (await sock.receive_type("error"))["code"] == "rate_limited"


async def test_making_codes_is_rate_limited_per_participant(sockets, async_client, settings):
    settings.WALL_DEVICE_CODE_RATE = "2/10m"
    hana = await (await sockets()).join(username="Hana")
    for _ in range(2):
        await new_code(async_client, hana["token"])
    response = await async_client.post("/api/devices/code", headers={"X-Wall-Token": hana["token"]})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited" and response.json()["retry_after"] > 0


@pytest.mark.parametrize("token", ["", "no-such-token", "x" * 201])
async def test_a_code_needs_the_token_of_a_name(async_client, store, token):
    response = await async_client.post("/api/devices/code", headers={"X-Wall-Token": token})
    assert (response.status_code, response.json()["code"]) == (403, "invalid_token")
    assert await DeviceCode.objects.acount() == 0


async def test_a_recovery_code_works_until_a_new_one_is_made_and_is_stored_hashed(sockets, async_client):
    hana = await (await sockets()).join(username="Hana")
    recovery = (await new_code(async_client, hana["token"], "/api/devices/recovery"))["code"]
    assert len(recovery) == 19
    stored = await Participant.objects.aget()
    assert stored.recovery_hash and recovery.replace("-", "") not in stored.recovery_hash
    for _ in range(2):
        assert (await (await sockets()).join(code=recovery))["id"] == hana["id"]
    await new_code(async_client, hana["token"], "/api/devices/recovery")
    old = await sockets()
    await old.send("join", {"code": recovery})
    assert (await old.receive_type("error"))["code"] == "invalid_code"


@pytest.mark.parametrize("device", ["first", "second"])
async def test_signing_out_forgets_this_device_only(sockets, async_client, device):
    laptop, phone = await sockets(), await sockets()
    first = await laptop.join(username="Hana")
    second = await phone.join(code=(await new_code(async_client, first["token"]))["code"])
    leaving, staying = (laptop, second) if device == "first" else (phone, first)
    left = first if device == "first" else second
    await leaving.send("sign_out")
    assert await leaving.receive_next("signed_out") == {}
    assert await leaving.closed_with() == 1000
    refused = await sockets()
    await refused.send("join", {"token": left["token"]})
    assert (await refused.receive_type("error"))["code"] == "invalid_token"
    assert (await (await sockets()).join(token=staying["token"]))["username"] == "Hana"


async def test_read_pointers_are_shared_by_the_devices(sockets, async_client):
    laptop, phone = await sockets(), await sockets()
    hana = await laptop.join(username="Hana")
    await phone.join(code=(await new_code(async_client, hana["token"]))["code"])
    post = await laptop.post("read me")
    await phone.send("read", {"message_id": post["id"]})
    assert (await laptop.receive_next("read"))["message_id"] == post["id"]
    assert (await sockets()).users == [{"id": hana["id"], "username": "Hana", "last_read": post["id"]}]


def test_device_code_redeem_is_one_use_in_the_service():
    claim = services.participant_claim(username="Hana")
    grant = services.device_code_create(participant_id=claim.id)
    assert services.device_code_redeem(code=grant.code).id == claim.id
    with pytest.raises(WallError) as refused:
        services.device_code_redeem(code=grant.code)
    assert refused.value.code == "invalid_code"


@pytest.mark.parametrize(("minutes", "code"), [(-1, None), (60, "banned")], ids=["ended", "in force"])
async def test_a_code_follows_a_timed_ban_as_a_token_does(sockets, async_client, minutes, code):
    hana = await (await sockets()).join(username="Hana")
    grant = await new_code(async_client, hana["token"])
    until = timezone.now() + timedelta(minutes=minutes)
    await Participant.objects.aupdate(is_banned=True, banned_until=until, ban_reason="cool off")
    phone = await sockets()
    await phone.send("join", {"code": grant["code"]})
    frame = await phone.receive()
    if code is None:
        assert (frame["type"], frame["data"]["id"]) == ("welcome", hana["id"])
    else:
        assert (frame["type"], frame["data"]["code"]) == ("error", code)
