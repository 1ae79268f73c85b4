"""Site-wide answers: robots.txt and the error pages."""
from .base import PublicSiteTestCase


class RobotsAndErrorPagesTests(PublicSiteTestCase):
    def test_robots_txt_points_at_the_sitemap(self):
        response = self.client.get("/robots.txt")
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        self.assertIn(b"Sitemap: http://testserver/sitemap.xml", response.content)
        self.assertIn(b"Disallow: /admin/", response.content)

    def test_500_page_renders_without_a_request(self):
        """When the site breaks, readers still get a page that explains."""
        from django.template import loader

        html = loader.get_template("500.html").render()
        self.assertIn("Something went wrong", html)
