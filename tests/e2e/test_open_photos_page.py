"""A public example case with photos on /open/issues at 375 px: the thumbnails load (lazily),
carry Chinese alt text, link to the full photo and do not make the phone scroll sideways."""

from __future__ import annotations

import pytest
from e2e.browser import fits_phone
from photo_files import jpeg
from portal_world import build_world
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from citizenvoice.blueprints.photos import media_storage
from citizenvoice.extensions import db
from citizenvoice.models import Submission
from citizenvoice.services.images import process_photo
from citizenvoice.services.media import store_photo

pytestmark = pytest.mark.e2e


def test_public_example_photos_at_phone_width(seeded, live_server, phone_browser, tmp_path):
    seeded.config["MEDIA_DIR"] = str(tmp_path / "media")
    build_world(seeded)
    with seeded.app_context():
        case = db.session.scalar(
            select(Submission)
            .where(Submission.public_consent.is_(True))
            .order_by(Submission.id.desc())
        )
        assert case is not None
        ids = [
            store_photo(
                process_photo(jpeg((1600, 1200))), media_storage(), submission=case, position=n
            ).public_id
            for n in range(3)
        ]
        db.session.commit()
    driver = phone_browser
    driver.get(live_server + "/open/issues")
    wait = WebDriverWait(driver, 15)
    wait.until(ec.presence_of_all_elements_located((By.CSS_SELECTOR, ".public-photo img")))
    # The case is an example of both its hot words (噪音, 夜市): three photos under each.
    images = driver.find_elements(By.CSS_SELECTOR, ".public-photo img")
    assert len(images) == 6
    images = images[:3]
    for image, media_id in zip(images, ids, strict=True):
        assert image.get_attribute("loading") == "lazy"
        assert "张现场照片" in (image.get_attribute("alt") or "")
        link = image.find_element(By.XPATH, "..")
        assert (link.get_attribute("href") or "").endswith(f"/open/photos/{media_id}")
    driver.execute_script("arguments[0].scrollIntoView()", images[-1])
    wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth", images[-1]) > 0)
    fits_phone(driver)
