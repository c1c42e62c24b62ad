from monitor.demo.run import run_demo


def test_demo_shows_matches_delivered_alerts_and_no_repeats(tmp_path):
    lines = []
    assert run_demo(tmp_path / "demo", lines.append) == 0
    output = "\n".join(lines)
    assert "First poll: 4 feeds, 9 new items" in output
    for lang in ("[en]", "[ar]", "[tr]", "[ru]"):
        assert lang in output
    assert "Poland" not in output.split("Alerts the webhook received:")[0]  # a routine F-35 sale is not news here
    received = output.split("Alerts the webhook received:")[1].split("Second poll")[0]
    # One event in four languages, the Arabic report first: one story, one alert, titled
    # as the feed titled the item.
    titles = [line.strip() for line in received.splitlines() if line.strip()]
    assert len(titles) == 1 and titles[0] in output.split("Alerts the webhook received:")[0]
    matched = output.split("Matched items (monitor matches):")[1].split("Alerts the webhook")[0]
    stories = {line.split(" story ")[1].split(":")[0] for line in matched.splitlines() if " story " in line}
    assert matched.count(" story ") == 4 and stories == {"s1"}
    assert "0 new items, 0 alerts: nothing repeats" in output


def test_every_run_delivers_the_same_first_alert(tmp_path):
    # The feeds are fetched one at a time in file order (world-ar.xml first): the story's
    # first report, and so its alert, is the Arabic one on every run, whichever feed's
    # server thread happens to answer first.
    for run in range(3):
        lines = []
        assert run_demo(tmp_path / "demo", lines.append) == 0
        received = "\n".join(lines).split("Alerts the webhook received:")[1].split("Second poll")[0]
        assert [line.strip() for line in received.splitlines() if line.strip()] == [
            "أنقرة تدرس إعادة منظومة إس-400 الروسية لاستعادة مكانها في برنامج إف-35"], run
