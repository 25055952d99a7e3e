"""Build steps for integral on buildbot: check out the pushed commit, run `integral build`,
put the bundle's headline values into the build's properties, and upload the outputs to the
master. Used by master.cfg; a master of your own can import it the same way.

The build's result is `integral build`'s exit code. A failed build uploads nothing, so no
bundle is ever published for a commit whose build failed.
"""
from buildbot.plugins import steps, util


def headline_values(rc, stdout, stderr):
    """The bundle's headline values as build properties, from the "NAME VALUE" lines that
    _SUMMARY prints: the bundle's sha256, and per boot its predicted sha256 PCR values and
    PolicyPCR digest (e.g. boot_host_pcr9_sha256)."""
    if rc != 0:
        return {}
    props = {}
    for line in stdout.splitlines():
        name, _, value = line.strip().partition(" ")
        if name and value:
            props[name] = value
    return props


# Prints what headline_values reads, run on the worker with its python3: short lines, since
# buildbot cuts a command's output into lines of at most 4 KiB.
_SUMMARY = (
    "import hashlib, json, sys\n"
    "raw = open(sys.argv[1], 'rb').read()\n"
    "print('bundle_sha256', hashlib.sha256(raw).hexdigest())\n"
    "for boot, entry in json.loads(raw)['boots'].items():\n"
    "    for pcr, value in entry['pcrs'].get('sha256', {}).items():\n"
    "        print('boot_%s_pcr%s_sha256' % (boot, pcr), value)\n"
    "    if 'policy' in entry:\n"
    "        print('boot_%s_policy' % boot, entry['policy']['digest'])\n"
)


class TriggerImages(steps.Trigger):
    """Triggers one build per image of the description (the `image_names` property, one name
    a line), each for the same commit with its `image` property set: any free worker takes
    each."""

    def getSchedulersAndProperties(self):
        names = str(self.build.getProperty("image_names", "")).split()
        return [{"sched_name": sched, "props_to_set": {"image": name}, "unimportant": False}
                for sched in self.schedulerNames for name in names]


def _checkout(repourl):
    # Every build starts from the pushed commit exactly (no leftovers of an earlier build).
    return steps.Git(repourl=repourl, mode="full", method="clobber", haltOnFailure=True)


def integral_image_factory(repourl, description="build.toml", integral="integral",
                           share_dir="shares"):
    """A BuildFactory for one image of `description` (the `image` property): builds it alone
    into a fresh image cache and uploads that cache to the master's
    `share_dir`/<revision>/<image>/."""
    f = util.BuildFactory()
    f.addStep(_checkout(repourl))
    f.addStep(steps.ShellCommand(
        name=util.Interpolate("integral build --image %(prop:image)s"),
        command=[integral, "build", description, "--image", util.Property("image"),
                 "-o", "share-out", "--cache-dir", "share-cache"],
        haltOnFailure=True))
    f.addStep(steps.DirectoryUpload(
        name="upload share", workersrc="share-cache",
        masterdest=util.Interpolate(share_dir + "/%(prop:got_revision)s/%(prop:image)s"),
        haltOnFailure=True))
    return f


def integral_build_factory(repourl, description="build.toml", integral="integral",
                           upload_dir="bundles", image_scheduler=None, share_dir="shares",
                           sign_key=None):
    """A BuildFactory that builds `description` (a path in the repository) with the
    `integral` binary on the worker and uploads OUT to the master's
    `upload_dir`/<revision>/.

    With `image_scheduler` (a Triggerable scheduler of builders made by
    integral_image_factory), the images fan out first: one build request per image, which
    any free worker takes; their caches are gathered here, so the final `integral build`
    writes no image again (a worker whose integral differs rebuilds, with the same result).

    With `sign_key` (a PEM file or a pkcs11: URI the worker can reach), the bundle is signed
    before it is uploaded (reference-values.json.sig; `integral verify --bundle` checks it)."""
    out = "integral-out"
    cache = util.Interpolate("%(prop:builddir)s/integral-cache")
    f = util.BuildFactory()
    f.addStep(_checkout(repourl))
    if image_scheduler:
        f.addStep(steps.SetPropertyFromCommand(
            name="images", command=[integral, "build", description, "--list-images"],
            property="image_names", haltOnFailure=True))
        f.addStep(TriggerImages(name="build images", schedulerNames=[image_scheduler],
                                waitForFinish=True, haltOnFailure=True))
        shares = util.Interpolate(share_dir + "/%(prop:got_revision)s")
        f.addStep(steps.MasterShellCommand(
            name="pack shares",
            command=["tar", "-C", shares, "-cf", util.Interpolate(share_dir + "/%(prop:got_revision)s.tar"), "."],
            haltOnFailure=True))
        f.addStep(steps.FileDownload(
            name="fetch shares", mastersrc=util.Interpolate(share_dir + "/%(prop:got_revision)s.tar"),
            workerdest="shares.tar", haltOnFailure=True))
        f.addStep(steps.ShellCommand(
            name="gather shares",
            command=["sh", "-c", 'mkdir -p shares "$INTEGRAL_CACHE_DIR/images" && '
                     'tar -xf shares.tar -C shares && '
                     'for d in shares/*/images/*; do cp -r "$d" "$INTEGRAL_CACHE_DIR/images/"; done'],
            env={"INTEGRAL_CACHE_DIR": cache}, haltOnFailure=True))
    f.addStep(steps.ShellCommand(
        name="integral build",
        command=[integral, "build", description, "-o", out],
        # The image cache lives beside the checkout, so it survives the clobber.
        env={"INTEGRAL_CACHE_DIR": cache},
        haltOnFailure=True))
    f.addStep(steps.SetPropertyFromCommand(
        name="reference values",
        command=["python3", "-c", _SUMMARY, out + "/reference-values.json"],
        extract_fn=headline_values, haltOnFailure=True))
    if sign_key:
        f.addStep(steps.ShellCommand(
            name="sign bundle",
            command=[integral, "sign", out + "/reference-values.json", "--key", sign_key],
            haltOnFailure=True))
    f.addStep(steps.DirectoryUpload(
        name="upload bundle",
        workersrc=out,
        masterdest=util.Interpolate(upload_dir + "/%(prop:got_revision)s"),
        haltOnFailure=True))
    return f
