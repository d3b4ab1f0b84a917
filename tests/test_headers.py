"""Security headers on every admin response; pages are never cached."""

from admin_app.site.headers import SECURITY_HEADERS


def assert_secure(response, cached: bool = False) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, (response.url, name)
    if not cached:
        assert response.headers["cache-control"] == "no-store", response.url


def test_every_kind_of_answer_carries_the_headers(client, anonymous):
    answers = [
        anonymous.get("/admin/login"),
        anonymous.get("/admin/task/list", follow_redirects=False),  # 302
        client.get("/admin/"),
        client.get("/admin/task/list"),
        client.get("/admin/task/list?progress__gte=lots"),  # 400
        client.get("/admin/task/details/999999"),  # 404
        client.get("/admin/task/export/csv"),
        client.get("/admin/task/export/xlsx"),
        client.get("/admin/task/filter-options?name=project_id&term=a"),  # JSON
        client.post("/admin/task/create", headers={"X-CSRF-Token": "x"}),  # 403
        anonymous.get("/admin/", headers={"Host": "evil.example"}),  # 400
    ]
    assert [a.status_code for a in answers] == [
        200, 302, 200, 200, 400, 404, 200, 200, 200, 403, 400
    ]  # fmt: skip
    for answer in answers:
        assert_secure(answer)


def test_the_policy_allows_only_the_admins_own_assets():
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy  # no inline scripts, no other origins
    assert "frame-ancestors 'none'" in policy
    assert "http" not in policy


def test_pages_load_no_inline_script(client):
    for url in ("/admin/", "/admin/task/list", "/admin/task/create", "/admin/login"):
        html = client.get(url).text
        assert "<script>" not in html and '<script type="text/javascript">' not in html
        assert "/admin/static/admin.js" in html


def test_static_assets_keep_their_caching(anonymous):
    for url in ("/admin/statics/js/main.js", "/admin/static/admin.js"):
        response = anonymous.get(url)
        assert response.status_code == 200
        assert_secure(response, cached=True)
        assert response.headers.get("cache-control") != "no-store"


def test_pages_name_the_admins_own_icon(anonymous):
    page = anonymous.get("/admin/login").text
    assert '<link rel="icon" href="/admin/static/favicon.svg">' in page
    icon = anonymous.get("/favicon.ico")  # browsers ask for it anyway
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
