from setuptools import find_packages, setup


def read_version() -> str:
    namespace: dict = {}
    with open('mmseg_depict/version.py', encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mmseg_depict',
    version=read_version(),
    description='Transformer segmentation decoders (DEPICT, Mask2Former, '
    'DETR panoptic) for mmsegmentation and mmdetection',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    python_requires='>=3.9',
    # The heavy stack (torch, mmcv compiled with ops) is installed by
    # tools/install.sh in a fixed order; only light, safe pins live here.
    install_requires=[
        'mmengine==0.10.7',
        'mmdet==3.3.0',
        'mmsegmentation==1.2.2',
        'numpy',
        'opencv-python',
        'ftfy',
        'regex',
        'pycocotools',
        'cityscapesscripts==2.3.0',
    ],
    license='Apache License 2.0',
)
