def test_settings_need_a_token(anon, client):
    assert anon.get("/settings").status_code == 401
    assert client.get("/settings").status_code == 200
