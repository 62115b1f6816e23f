"""Failed logins cost the attacker, not the server: three clients guess passwords for 20 s while a
logged-in person asks questions, and her answers stay quick (the issue's own measure, so this test
times on the wall clock: her p95 under 2 s, an unrelated ``GET /`` under 1 s)."""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import pytest
from gradio_client import Client, handle_file

from tests.rag_app.ui.shared_server import PEOPLE, shared_server

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.timeout(600)]
ATTACK_S = 20.0


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def test_three_password_guessers_do_not_slow_a_logged_in_person(tmp_path):
    env = {"RAG_LOGIN_LOCKOUT_FAILURES": "3", "RAG_LIMIT_QUESTIONS_PER_MINUTE": "1000"}
    with shared_server(tmp_path, env) as (url, _logged):
        alice = Client(url, auth=("alice", PEOPLE["alice"]), verbose=False)
        doc = tmp_path / "owls.txt"
        doc.write_text("The owl museum opens at noon and keeps forty barn owls in its gardens.")
        alice.predict([handle_file(str(doc))], "", api_name="/upload")
        answers: dict[int, list[tuple[int, str]]] = {0: [], 1: [], 2: []}
        started = threading.Event()
        end = time.monotonic() + ATTACK_S

        def guess(who: int) -> None:
            with httpx.Client(base_url=url, timeout=30) as client:
                started.wait()
                n = 0
                while time.monotonic() < end:
                    name = "alice" if who < 2 else f"someone-{n}"
                    answer = client.post("/login", data={"username": name, "password": f"guess-{n}"})
                    answers[who].append((answer.status_code, answer.json().get("detail", "")))
                    n += 1

        attackers = [threading.Thread(target=guess, args=(i,)) for i in range(3)]
        for attacker in attackers:
            attacker.start()
        started.set()
        asked, pages = [], []
        with httpx.Client(base_url=url, timeout=30) as browser:
            while time.monotonic() < end:
                t0 = time.monotonic()
                result = alice.predict("When does the owl museum open?", [], api_name="/ask")[2]
                asked.append(time.monotonic() - t0)
                assert "noon" in result["results"][0]["text"]
                t0 = time.monotonic()
                assert browser.get("/").status_code == 200
                pages.append(time.monotonic() - t0)
        for attacker in attackers:
            attacker.join()
        alice.close()
    print(
        f"\nunder attack: {len(asked)} questions, p95 {p95(asked):.3f} s (max {max(asked):.3f} s); "
        f"GET / p95 {p95(pages):.3f} s (max {max(pages):.3f} s); "
        f"attempts {[len(a) for a in answers.values()]}, "
        f"checked {sum(code != 429 for a in answers.values() for code, _ in a)}"
    )
    assert p95(asked) < 2.0 and p95(pages) < 1.0
    on_alice = [detail for who in (0, 1) for code, detail in answers[who] if code == 429]
    assert any(d.startswith("too many failed logins for this account: try again in") for d in on_alice)
    assert on_alice[-1].startswith("this account is locked for 15 minutes after 3 failed logins")
    guessed = answers[2]
    assert any(code == 429 and "from your address" in d for code, d in guessed)
    assert all(code in (400, 429) for a in answers.values() for code, _ in a)
