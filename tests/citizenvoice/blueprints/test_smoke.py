def test_home_page_offers_the_three_kinds(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for label in ("我要投诉", "我要评价", "我要建议"):
        assert label in body
