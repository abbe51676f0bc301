def test_alpha_login_page(alpha):
    from tests.conftest import host_client

    response = host_client(alpha.host).get("/accounts/login/")
    assert response.status_code == 200
    assert alpha.tenant.name in response.content.decode()
