"""The newsroom a corpus is written by: analyst and editor accounts, and the tags they file under."""
import datetime
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.text import slugify

from briefings.models import AuthorProfile, Tag

from .plan import USERNAME_PREFIX, tag_names


def write_people(plan, as_of, summary):
    """Write the corpus's analysts and editors, in the newsroom's groups; returns (analysts, editors)."""
    User = get_user_model()
    groups = {group.name: group for group in Group.objects.filter(name__in=["Analyst", "Editor"])}
    people, roles = [], {}
    for role, count in (("analyst", plan.analysts), ("editor", plan.editors)):
        roles[role] = []
        for number in range(1, count + 1):
            user = User(
                username=f"{USERNAME_PREFIX}{role}-{number:02d}",
                first_name=f"{role.capitalize()}",
                last_name=f"Number {number:02d}",
                email=f"{USERNAME_PREFIX}{role}-{number:02d}@example.org",
                is_staff=True,
                date_joined=as_of - datetime.timedelta(days=2500),
            )
            user.set_unusable_password()
            people.append(user)
            roles[role].append(user)
    User.objects.bulk_create(people)
    # Bylines name people by their profile, as for real accounts (bulk writes send no signal to make them).
    AuthorProfile.objects.bulk_create(
        AuthorProfile(user=user, name=user.get_full_name(), slug=slugify(user.get_full_name())) for user in people
    )
    User.groups.through.objects.bulk_create(
        User.groups.through(user=user, group=groups[role.capitalize()])
        for role, users in roles.items()
        if role.capitalize() in groups
        for user in users
    )
    summary.users = len(people)
    return roles["analyst"], roles["editor"]


class CorpusTags:
    """The corpus's tags, picked with Zipf weights: a few tags file most briefings."""

    def __init__(self, tags):
        self.tags = tags
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(tags))))

    def pick(self, rng):
        """One to four tags, in the order the newsroom lists them."""
        chosen = rng.choices(self.tags, cum_weights=self.cumulative, k=rng.randint(1, 4))
        return sorted({tag.pk: tag for tag in chosen}.values(), key=lambda tag: tag.name.casefold())


def write_tags(plan, summary):
    """Write the plan's tags, reusing any the newsroom already has under the same name; returns CorpusTags."""
    names = tag_names(plan.tags)
    existing = {tag.name.casefold(): tag for tag in Tag.objects.all()}
    taken_slugs = {tag.slug for tag in existing.values()}
    new = []
    for name in names:
        if name.casefold() in existing:
            continue
        base = slugify(name)
        slug, number = base, 1
        while slug in taken_slugs:
            slug, number = f"{base}_{number}", number + 1
        taken_slugs.add(slug)
        existing[name.casefold()] = Tag(name=name, slug=slug)
        new.append(existing[name.casefold()])
    Tag.objects.bulk_create(new)
    summary.tags = len(names)
    return CorpusTags([existing[name.casefold()] for name in names])
