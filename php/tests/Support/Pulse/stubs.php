<?php

// Stand-ins for the few Laravel Pulse and Livewire classes the Pulse integration touches, for
// tests on a machine without Pulse (it is not packaged for Debian and Packagist is out of
// reach here). Each records what the code under test asks of it; they hold no Pulse logic.

namespace Laravel\Pulse {
    class Pulse
    {
        /** @var list<PulseEntry> */
        public array $entries = [];

        public function record(string $type, string $key, ?int $value = null, $timestamp = null): PulseEntry
        {
            return $this->entries[] = new PulseEntry($type, $key, $value, $timestamp);
        }
    }

    class PulseEntry
    {
        /** @var list<string> */
        public array $aggregations = [];

        public bool $onlyBuckets = false;

        public function __construct(public string $type, public string $key, public ?int $value, public $timestamp)
        {
        }

        public function avg(): static
        {
            $this->aggregations[] = 'avg';

            return $this;
        }

        public function max(): static
        {
            $this->aggregations[] = 'max';

            return $this;
        }

        public function sum(): static
        {
            $this->aggregations[] = 'sum';

            return $this;
        }

        public function onlyBuckets(): static
        {
            $this->onlyBuckets = true;

            return $this;
        }
    }
}

namespace Laravel\Pulse\Events {
    class SharedBeat
    {
        public function __construct(public \Carbon\CarbonImmutable $time)
        {
        }
    }
}

namespace Laravel\Pulse\Livewire {
    abstract class Card
    {
    }
}

namespace Laravel\Pulse\Livewire\Concerns {
    trait HasPeriod
    {
    }

    trait RemembersQueries
    {
    }
}

namespace Livewire {
    class LivewireManager
    {
        /** @var array<string, class-string> */
        public array $components = [];

        public function component(string $name, string $class): void
        {
            $this->components[$name] = $class;
        }
    }
}

namespace Livewire\Attributes {
    #[\Attribute]
    class Lazy
    {
    }
}
