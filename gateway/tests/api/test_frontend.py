"""Serving the built web app, and a clear page when it was never built."""


def test_without_a_build_the_root_says_to_run_make_run(make_gateway, tmp_path):
    client = make_gateway({"web_app_dir": tmp_path / "never-built"}).test_client()
    response = client.get("/")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "make run" in response.get_data(as_text=True)


def test_the_root_and_every_client_side_route_get_index_html(make_gateway, web_build):
    client = make_gateway({"web_app_dir": web_build}).test_client()
    for path in ("/", "/leads/pool", "/customers/c-1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<div id=app>" in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-cache"


def test_hashed_assets_are_cached_for_good_and_others_briefly(make_gateway, web_build):
    client = make_gateway({"web_app_dir": web_build}).test_client()
    asset = client.get("/static/app/assets/index-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert client.get("/static/app/favicon.svg").headers["Cache-Control"] == "public, max-age=3600"


def test_a_missing_asset_or_api_path_is_a_404_in_the_error_shape_not_the_app(make_gateway, web_build):
    client = make_gateway({"web_app_dir": web_build}).test_client()
    for path in ("/static/app/assets/gone.js", "/api/v2/leads", "/api", "/favicon.ico"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["code"] == "not_found"


def test_health_and_readiness_answer_without_a_token(client):
    assert client.get("/health").get_json() == {"status": "ok", "service": "gateway"}
    assert client.get("/ready").get_json() == {"status": "ready", "service": "gateway"}
